CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"account_id" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"stake" bigint NOT NULL,
	"currency" text NOT NULL,
	"price" double precision,
	"stop_loss" double precision,
	"take_profit" double precision,
	"hold_id" text NOT NULL,
	"trade_id" text,
	"fill_price" double precision,
	"source" text NOT NULL,
	"reference" text,
	"reject_reason" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"resolved_at" timestamp (3) with time zone,
	CONSTRAINT "orders_stake_check" CHECK ("orders"."stake" > 0)
);
--> statement-breakpoint
CREATE TABLE "protection_events" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"source" text NOT NULL,
	"subscription_id" text,
	"external_id" text,
	"reason" text NOT NULL,
	"symbol" text,
	"side" text,
	"stake" bigint,
	"currency" text,
	"details" text,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "risk_locks" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"scope" text NOT NULL,
	"symbol" text,
	"side" text,
	"reason" text NOT NULL,
	"until" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"cleared_at" timestamp (3) with time zone,
	"cleared_by" text
);
--> statement-breakpoint
CREATE TABLE "risk_profiles" (
	"user_id" text PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"min_stake" bigint NOT NULL,
	"max_stake" bigint NOT NULL,
	"max_daily_loss" bigint NOT NULL,
	"max_consecutive_losses" integer NOT NULL,
	"stake_progression" text NOT NULL,
	"max_open_positions" integer NOT NULL,
	"max_exposure_per_symbol" bigint NOT NULL,
	"loss_cooldown_minutes" integer NOT NULL,
	"time_zone" text NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "risk_streaks" (
	"user_id" text PRIMARY KEY NOT NULL,
	"consecutive_losses" integer NOT NULL,
	"last_loss_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "signals" (
	"id" text PRIMARY KEY NOT NULL,
	"strategy_id" text NOT NULL,
	"user_id" text NOT NULL,
	"symbol" text NOT NULL,
	"interval" text NOT NULL,
	"bar_time" timestamp (3) with time zone NOT NULL,
	"side" text NOT NULL,
	"decision" text NOT NULL,
	"confidence" double precision NOT NULL,
	"buy_score" double precision NOT NULL,
	"sell_score" double precision NOT NULL,
	"votes" text NOT NULL,
	"reason" text NOT NULL,
	"outcome" text NOT NULL,
	"trade_id" text,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "strategies" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"account_id" text,
	"symbol" text NOT NULL,
	"interval" text NOT NULL,
	"config" text NOT NULL,
	"stake" text,
	"stop_loss_pct" double precision,
	"take_profit_pct" double precision,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trades" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"account_id" text NOT NULL,
	"order_id" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"stake" bigint NOT NULL,
	"currency" text NOT NULL,
	"quantity" double precision NOT NULL,
	"entry_price" double precision NOT NULL,
	"stop_loss" double precision,
	"take_profit" double precision,
	"status" text NOT NULL,
	"exit_price" double precision,
	"close_reason" text,
	"pnl" bigint,
	"hold_id" text NOT NULL,
	"settlement_entry_id" text,
	"source" text NOT NULL,
	"reference" text,
	"opened_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone,
	CONSTRAINT "trades_stake_check" CHECK ("trades"."stake" > 0),
	CONSTRAINT "trades_pnl_check" CHECK ("trades"."pnl" is null or "trades"."pnl" >= -"trades"."stake")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "protection_events" ADD CONSTRAINT "protection_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_locks" ADD CONSTRAINT "risk_locks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_profiles" ADD CONSTRAINT "risk_profiles_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_streaks" ADD CONSTRAINT "risk_streaks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signals" ADD CONSTRAINT "signals_strategy_id_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."strategies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "strategies" ADD CONSTRAINT "strategies_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "orders_user_idx" ON "orders" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "orders_pending_idx" ON "orders" USING btree ("status","symbol");--> statement-breakpoint
CREATE INDEX "protection_events_user_idx" ON "protection_events" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "protection_events_reason_idx" ON "protection_events" USING btree ("reason","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "protection_events_external_unique" ON "protection_events" USING btree ("user_id","external_id");--> statement-breakpoint
CREATE INDEX "risk_locks_user_idx" ON "risk_locks" USING btree ("user_id","until");--> statement-breakpoint
CREATE INDEX "signals_user_idx" ON "signals" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "signals_strategy_idx" ON "signals" USING btree ("strategy_id","id");--> statement-breakpoint
CREATE INDEX "strategies_user_idx" ON "strategies" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "strategies_active_idx" ON "strategies" USING btree ("status","symbol","interval");--> statement-breakpoint
CREATE INDEX "trades_user_idx" ON "trades" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "trades_user_open_idx" ON "trades" USING btree ("user_id","status","symbol");--> statement-breakpoint
CREATE INDEX "trades_user_closed_idx" ON "trades" USING btree ("user_id","closed_at");--> statement-breakpoint
CREATE INDEX "trades_open_symbol_idx" ON "trades" USING btree ("status","symbol");--> statement-breakpoint
CREATE UNIQUE INDEX "trades_order_unique" ON "trades" USING btree ("order_id");