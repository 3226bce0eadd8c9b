-- The Glue database of the six tables.
CREATE DATABASE IF NOT EXISTS ride_sim_analytics
COMMENT 'sweeplib outcome datasets (schema v1)'
