//! The scripted customer: the bench's turns, the growth table's workload and `benches/engine.rs`
//! (which includes this file) answer with it.

/// Answers from the menu to the summary: every question of a business landline request, so a
/// conversation stays mid-flow (no ticket is signed) and each answer is one full turn.
pub const SCRIPT: &[&str] = &[
    "1",
    "yes",
    "skip",
    "yes",
    "4821",
    "skip",
    "312-448-2915, 312-448-2916",
    "yes",
    "AT&T",
    "business landline",
    "Acme Plumbing LLC",
    "500 W Madison St, Suite 1200, Chicago, IL 60661",
    "Zoë Łukasiewicz, Office Manager",
    "8472 1193 0045, BTN (312) 448-2900",
    "no",
    "ok",
    "zoe@acmeplumbing.example.com",
];
