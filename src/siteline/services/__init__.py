"""The use cases every face calls: one module per group. Faces hold no domain logic."""
