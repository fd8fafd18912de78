"""``diagnostic``: the technicians' test pattern (visitors with id, source and trail; frame-time
graph; screen edges and a grid). What a technician opens to check touch and camera."""
