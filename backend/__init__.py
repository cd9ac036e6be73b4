"""Cross-cutting core with no domain models: crypto, receipts, checks, API plumbing."""
