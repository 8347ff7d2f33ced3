"""Reading and cleaning: any export to a canonical events table with its cleaning report
(readers -> mapping -> ingest), resource limits, and the seeded synthetic log generator."""

# How a date such as 01/02/2024 is read: told by the data (`times.parse_times`), or as its user says
# it is written. Here, without imports, so the CLI's flags need no pandas to be built.
DATE_ORDERS = ("auto", "day-first", "month-first")
DATE_ORDER_WORDS = {"auto": "told by the data", "day-first": "day first (31/12/2024)",
                    "month-first": "month first (12/31/2024)"}
