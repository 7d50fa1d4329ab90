CREATE TABLE "backtests" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"status" text NOT NULL,
	"symbol" text NOT NULL,
	"interval" text NOT NULL,
	"from_time" timestamp (3) with time zone NOT NULL,
	"to_time" timestamp (3) with time zone NOT NULL,
	"currency" text NOT NULL,
	"initial_balance" bigint NOT NULL,
	"params" text NOT NULL,
	"candles" integer NOT NULL,
	"summary" text,
	"detail" text,
	"error" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"heartbeat_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "backtests" ADD CONSTRAINT "backtests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backtests_user_idx" ON "backtests" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "backtests_unfinished_idx" ON "backtests" USING btree ("status","heartbeat_at");