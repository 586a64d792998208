-- fleet_as_of: "now" for visit planning, the fleet's clock (marts/fleet_clock.sql: the latest
-- read, leaving out a machine whose clock runs more than 8 days ahead of the median machine's).
SELECT as_of FROM fleet_clock;
