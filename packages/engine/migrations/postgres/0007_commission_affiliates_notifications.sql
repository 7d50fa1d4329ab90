CREATE TABLE "affiliate_codes" (
	"user_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "commission_charges" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"subscription_id" text NOT NULL,
	"master_id" text NOT NULL,
	"master_user_id" text NOT NULL,
	"follower_id" text NOT NULL,
	"account_id" text NOT NULL,
	"currency" text NOT NULL,
	"period" text NOT NULL,
	"period_start" timestamp (3) with time zone,
	"period_end" timestamp (3) with time zone NOT NULL,
	"trade_id" text,
	"profit" bigint NOT NULL,
	"equity" bigint,
	"closed_copies" integer,
	"hwm_before" bigint,
	"hwm_after" bigint,
	"rate_bps" integer NOT NULL,
	"fee" bigint NOT NULL,
	"charged" bigint NOT NULL,
	"master_amount" bigint NOT NULL,
	"platform_amount" bigint NOT NULL,
	"affiliate_amount" bigint NOT NULL,
	"affiliate_user_id" text,
	"entry_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "commission_charges_split_check" CHECK ("commission_charges"."charged" = "commission_charges"."master_amount" + "commission_charges"."platform_amount" + "commission_charges"."affiliate_amount" and "commission_charges"."charged" >= 0 and "commission_charges"."charged" <= "commission_charges"."fee")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"type" text NOT NULL,
	"title" text NOT NULL,
	"body" text,
	"data" text,
	"read_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"user_id" text PRIMARY KEY NOT NULL,
	"affiliate_user_id" text NOT NULL,
	"code" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "subscription_id" text;--> statement-breakpoint
ALTER TABLE "trades" ADD COLUMN "subscription_id" text;--> statement-breakpoint
ALTER TABLE "affiliate_codes" ADD CONSTRAINT "affiliate_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "affiliate_codes_code_unique" ON "affiliate_codes" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "commission_charges_key_unique" ON "commission_charges" USING btree ("key");--> statement-breakpoint
CREATE INDEX "commission_charges_fee_idx" ON "commission_charges" USING btree ("subscription_id","account_id","kind","period_end");--> statement-breakpoint
CREATE INDEX "commission_charges_follower_idx" ON "commission_charges" USING btree ("follower_id","id");--> statement-breakpoint
CREATE INDEX "commission_charges_master_idx" ON "commission_charges" USING btree ("master_user_id","id");--> statement-breakpoint
CREATE INDEX "commission_charges_trade_idx" ON "commission_charges" USING btree ("trade_id");--> statement-breakpoint
CREATE INDEX "commission_charges_affiliate_idx" ON "commission_charges" USING btree ("affiliate_user_id");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("user_id","read_at");--> statement-breakpoint
CREATE INDEX "referrals_affiliate_idx" ON "referrals" USING btree ("affiliate_user_id");--> statement-breakpoint
CREATE INDEX "trades_subscription_idx" ON "trades" USING btree ("subscription_id","account_id");