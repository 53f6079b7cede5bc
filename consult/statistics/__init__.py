"""Contact-centre figures, computed in the database (docs/metrics.md). Days are Europe/Berlin
calendar days (DST-safe). A consultation belongs to the day it was requested. Every figure is
built from additive parts (counts, sums, maxima) so that closed days can come from the roll-up
tables (consult/statistics/rollup.py) and the rest (today, days changed since their roll-up)
from the consultations themselves; the two are added and the averages and rates derived once.
Percentiles are exact: PostgreSQL's ``percentile_cont`` over the period's waits, or, where the
roll-up covers the period, the two neighbouring waits of each percentile's rank read from an
index (the roll-up's wait histogram says where to look). On SQLite (the embedded default) there
is no roll-up and the percentiles are computed from the sorted waits of each group, with the
same interpolation.
"""
