CREATE TABLE "disputes" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"dispute_id" text NOT NULL,
	"deposit_id" text NOT NULL,
	"user_id" text NOT NULL,
	"account_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"hold_id" text,
	"entry_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "disputes_amount_check" CHECK ("disputes"."amount" > 0),
	CONSTRAINT "disputes_status_check" CHECK ("disputes"."status" in ('open', 'won', 'lost'))
);
--> statement-breakpoint
CREATE TABLE "receivables" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"account_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"cause" text NOT NULL,
	"source_id" text NOT NULL,
	"entry_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"settled_at" timestamp (3) with time zone,
	CONSTRAINT "receivables_amount_check" CHECK ("receivables"."amount" > 0),
	CONSTRAINT "receivables_status_check" CHECK ("receivables"."status" in ('open', 'settled')),
	CONSTRAINT "receivables_cause_check" CHECK ("receivables"."cause" in ('refund', 'chargeback'))
);
--> statement-breakpoint
ALTER TABLE "deposits" ALTER COLUMN "provider_reference" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "deposits" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "deposits" ADD COLUMN "refunded_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_deposit_id_deposits_id_fk" FOREIGN KEY ("deposit_id") REFERENCES "public"."deposits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receivables" ADD CONSTRAINT "receivables_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receivables" ADD CONSTRAINT "receivables_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "disputes_provider_dispute_unique" ON "disputes" USING btree ("provider","dispute_id");--> statement-breakpoint
CREATE INDEX "disputes_account_status_idx" ON "disputes" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "receivables_user_idx" ON "receivables" USING btree ("user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "deposits_idempotency_key_unique" ON "deposits" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "deposits_account_updated_idx" ON "deposits" USING btree ("account_id","updated_at");--> statement-breakpoint
ALTER TABLE "deposits" ADD CONSTRAINT "deposits_refunded_check" CHECK ("deposits"."refunded_amount" >= 0 and "deposits"."refunded_amount" <= "deposits"."amount");