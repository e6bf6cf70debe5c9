-- The intake's locks: one row per state x programme x year a load has touched. A load holds
-- its row (select ... for update) until it commits, so two loads of the same report run
-- one after the other. Locking a row needs UPDATE on the table, which only pm_loader has
-- (warehouse/access.py): no reading role can take the intake's locks and stall a load, as
-- any role could with the advisory lock used before.
create table if not exists audit.intake_locks (
    state_code      text not null,
    programme_code  text not null,
    reporting_year  integer not null,
    created_at      timestamptz not null default now(),
    primary key (state_code, programme_code, reporting_year)
);
