CREATE TABLE "jobs" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text,
	"lease_until" timestamp (3) with time zone,
	"last_tick_at" timestamp (3) with time zone,
	"last_duration_ms" integer,
	"last_error" text
);
