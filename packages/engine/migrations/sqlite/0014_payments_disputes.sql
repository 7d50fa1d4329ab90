CREATE TABLE `disputes` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`dispute_id` text NOT NULL,
	`deposit_id` text NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`hold_id` text,
	`entry_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`deposit_id`) REFERENCES `deposits`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "disputes_amount_check" CHECK("disputes"."amount" > 0),
	CONSTRAINT "disputes_status_check" CHECK("disputes"."status" in ('open', 'won', 'lost'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `disputes_provider_dispute_unique` ON `disputes` (`provider`,`dispute_id`);--> statement-breakpoint
CREATE INDEX `disputes_account_status_idx` ON `disputes` (`account_id`,`status`);--> statement-breakpoint
CREATE TABLE `receivables` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`cause` text NOT NULL,
	`source_id` text NOT NULL,
	`entry_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`settled_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "receivables_amount_check" CHECK("receivables"."amount" > 0),
	CONSTRAINT "receivables_status_check" CHECK("receivables"."status" in ('open', 'settled')),
	CONSTRAINT "receivables_cause_check" CHECK("receivables"."cause" in ('refund', 'chargeback'))
);
--> statement-breakpoint
CREATE INDEX `receivables_user_idx` ON `receivables` (`user_id`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_deposits` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`provider` text NOT NULL,
	`provider_reference` text,
	`idempotency_key` text,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`refunded_amount` integer DEFAULT 0 NOT NULL,
	`entry_id` text,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "deposits_amount_check" CHECK("__new_deposits"."amount" > 0),
	CONSTRAINT "deposits_refunded_check" CHECK("__new_deposits"."refunded_amount" >= 0 and "__new_deposits"."refunded_amount" <= "__new_deposits"."amount"),
	CONSTRAINT "deposits_status_check" CHECK("__new_deposits"."status" in ('pending', 'processing', 'succeeded', 'failed', 'canceled'))
);
--> statement-breakpoint
INSERT INTO `__new_deposits`("id", "user_id", "account_id", "provider", "provider_reference", "amount", "currency", "status", "entry_id", "failure_reason", "created_at", "updated_at") SELECT "id", "user_id", "account_id", "provider", "provider_reference", "amount", "currency", "status", "entry_id", "failure_reason", "created_at", "updated_at" FROM `deposits`;--> statement-breakpoint
DROP TABLE `deposits`;--> statement-breakpoint
ALTER TABLE `__new_deposits` RENAME TO `deposits`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `deposits_provider_reference_unique` ON `deposits` (`provider`,`provider_reference`);--> statement-breakpoint
CREATE UNIQUE INDEX `deposits_idempotency_key_unique` ON `deposits` (`user_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `deposits_user_idx` ON `deposits` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `deposits_account_updated_idx` ON `deposits` (`account_id`,`updated_at`);