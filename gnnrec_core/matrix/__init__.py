"""The interaction matrix: raw IDs <-> contiguous indices, weights and splits (interactions),
the normalised user-item graph and item co-occurrence (graph), catalogue features (features)."""
