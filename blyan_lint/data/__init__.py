"""Name tables, kept as data: every spelling the rules recognise lives here."""
