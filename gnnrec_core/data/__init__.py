"""Reading and cleaning: any export to a canonical events table with its cleaning report
(readers -> mapping -> ingest), resource limits, and the seeded synthetic log generator."""
