"""Visit planning (issue 7): a service score per machine from weighted rules, the date it will
need service, the machines each route visits on the plan date and what to pick for them.
Rules and choices: docs/visits.md."""
