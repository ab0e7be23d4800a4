//! The Letter of Authorization PDF.
