"""The policy clause both BLY5xx rules enforce."""

WEIGHTS_CLAUSE = "Blockchain Weights: BF16 — storage and reconstruction consistency."
