//! Small answers: yes/no, names, carrier, title, account number and PIN.
