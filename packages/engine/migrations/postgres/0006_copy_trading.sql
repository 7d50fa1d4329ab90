CREATE TABLE "masters" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"display_name" text NOT NULL,
	"description" text,
	"markup_bps" integer NOT NULL,
	"performance_fee_bps" integer NOT NULL,
	"visibility" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"follower_id" text NOT NULL,
	"master_id" text NOT NULL,
	"master_user_id" text NOT NULL,
	"account_id" text,
	"copy_mode" text NOT NULL,
	"fixed_stake" text,
	"multiplier" text,
	"max_stake" text,
	"status" text NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "masters" ADD CONSTRAINT "masters_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_follower_id_users_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_master_id_masters_id_fk" FOREIGN KEY ("master_id") REFERENCES "public"."masters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "masters_user_unique" ON "masters" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "masters_visibility_idx" ON "masters" USING btree ("visibility","id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_token_unique" ON "subscriptions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "subscriptions_follower_idx" ON "subscriptions" USING btree ("follower_id","id");--> statement-breakpoint
CREATE INDEX "subscriptions_master_user_idx" ON "subscriptions" USING btree ("master_user_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_live_unique" ON "subscriptions" USING btree ("follower_id","master_id") WHERE "subscriptions"."status" in ('active', 'paused');