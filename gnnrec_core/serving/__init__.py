"""Serving what was learned: recommendations with reasons, merchandising rules, exports, the
stakeholder report, neighbourhoods, projections and plotly figures, cold start."""
