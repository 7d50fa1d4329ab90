CREATE TABLE `withdrawal_approvals` (
	`withdrawal_id` text NOT NULL,
	`approver_id` text NOT NULL,
	`approved_at` integer NOT NULL,
	PRIMARY KEY(`withdrawal_id`, `approver_id`),
	FOREIGN KEY (`withdrawal_id`) REFERENCES `withdrawals`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`approver_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_withdrawals` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`hold_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reference` text,
	`destination` text,
	`payout_provider` text DEFAULT 'manual' NOT NULL,
	`payout_reference` text,
	`payout_attempts` integer DEFAULT 0 NOT NULL,
	`next_payout_at` integer,
	`source` text,
	`source_reference` text,
	`resolved_by` text,
	`note` text,
	`entry_id` text,
	`created_at` integer NOT NULL,
	`approved_at` integer,
	`resolved_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "withdrawals_amount_check" CHECK("__new_withdrawals"."amount" > 0),
	CONSTRAINT "withdrawals_status_check" CHECK("__new_withdrawals"."status" in ('pending', 'approved', 'paying', 'completed', 'rejected', 'failed', 'cancelled'))
);
--> statement-breakpoint
INSERT INTO `__new_withdrawals`("id", "user_id", "account_id", "hold_id", "amount", "currency", "status", "reference", "source", "source_reference", "resolved_by", "note", "entry_id", "created_at", "resolved_at") SELECT "id", "user_id", "account_id", "hold_id", "amount", "currency", "status", "reference", "source", "source_reference", "resolved_by", "note", "entry_id", "created_at", "resolved_at" FROM `withdrawals`;--> statement-breakpoint
DROP TABLE `withdrawals`;--> statement-breakpoint
ALTER TABLE `__new_withdrawals` RENAME TO `withdrawals`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `withdrawals_user_idx` ON `withdrawals` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `withdrawals_status_idx` ON `withdrawals` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `withdrawals_due_payouts_idx` ON `withdrawals` (`status`,`next_payout_at`);