"""What the assistant's own records say about how it is doing, for the console's pages.

period.py   the time range and its buckets (days or weeks), counted by the database
trends.py   KPI series over time: MTTA/MTTR, automation, deflection, approval latency,
            change failure rate, satisfaction
requests.py requests by skill and outcome
charts.py   server-rendered SVG charts with a data table beside them
unmatched.py requests nobody could serve, grouped by similarity
draft.py    a manifest skill drafted from one such group, for an admin to finish
"""
