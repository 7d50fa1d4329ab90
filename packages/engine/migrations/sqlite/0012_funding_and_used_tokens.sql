CREATE TABLE `operator_credits` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`reference` text,
	`requested_by` text NOT NULL,
	`resolved_by` text,
	`note` text,
	`entry_id` text,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "operator_credits_amount_check" CHECK("operator_credits"."amount" > 0),
	CONSTRAINT "operator_credits_status_check" CHECK("operator_credits"."status" in ('pending_approval', 'completed', 'rejected'))
);
--> statement-breakpoint
CREATE INDEX `operator_credits_status_idx` ON `operator_credits` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `operator_credits_account_idx` ON `operator_credits` (`account_id`,`id`);--> statement-breakpoint
CREATE TABLE `used_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `used_tokens_expires_idx` ON `used_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `withdrawals` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`hold_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reference` text,
	`source` text,
	`source_reference` text,
	`resolved_by` text,
	`note` text,
	`entry_id` text,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "withdrawals_amount_check" CHECK("withdrawals"."amount" > 0),
	CONSTRAINT "withdrawals_status_check" CHECK("withdrawals"."status" in ('pending', 'completed', 'rejected', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `withdrawals_user_idx` ON `withdrawals` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `withdrawals_status_idx` ON `withdrawals` (`status`,`id`);