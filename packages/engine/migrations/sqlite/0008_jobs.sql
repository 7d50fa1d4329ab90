CREATE TABLE `jobs` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text,
	`lease_until` integer,
	`last_tick_at` integer,
	`last_duration_ms` integer,
	`last_error` text
);
