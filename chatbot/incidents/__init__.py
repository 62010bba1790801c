"""Alerts become incidents: intake, grouping, timeline, suspected changes, health gates,
postmortems and the KPIs the team learns from.

The loop runs on data the assistant already keeps (actions, audit) plus three tables of its
own (alerts, incidents, incident events); nothing here calls a model.
"""
