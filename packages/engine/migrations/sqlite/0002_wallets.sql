CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`currency` text NOT NULL,
	`kind` text NOT NULL,
	`system_code` text,
	`is_default` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`balance` integer NOT NULL,
	`held` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	CONSTRAINT "accounts_kind_check" CHECK("accounts"."kind" in ('demo', 'real', 'system')),
	CONSTRAINT "accounts_owner_check" CHECK(("accounts"."kind" = 'system') = ("accounts"."user_id" is null) and ("accounts"."kind" = 'system') = ("accounts"."system_code" is not null)),
	CONSTRAINT "accounts_balance_check" CHECK("accounts"."kind" = 'system' or ("accounts"."balance" >= 0 and "accounts"."held" >= 0 and "accounts"."held" <= "accounts"."balance"))
);
--> statement-breakpoint
CREATE INDEX `accounts_user_idx` ON `accounts` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_one_default_per_user` ON `accounts` (`user_id`) WHERE "accounts"."is_default" = 1;--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_system_unique` ON `accounts` (`system_code`,`currency`);--> statement-breakpoint
CREATE TABLE `holds` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`status` text NOT NULL,
	`reference` text,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	`captured_amount` integer,
	`entry_id` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "holds_amount_check" CHECK("holds"."amount" > 0)
);
--> statement-breakpoint
CREATE INDEX `holds_account_status_idx` ON `holds` (`account_id`,`status`);--> statement-breakpoint
CREATE INDEX `holds_pending_expiry_idx` ON `holds` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`user_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `journal_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`reference` text,
	`metadata` text,
	`reverses_entry_id` text,
	`actor_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`reverses_entry_id`) REFERENCES `journal_entries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `journal_entries_reverses_unique` ON `journal_entries` (`reverses_entry_id`);--> statement-breakpoint
CREATE TABLE `postings` (
	`id` text PRIMARY KEY NOT NULL,
	`entry_id` text NOT NULL,
	`account_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`entry_id`) REFERENCES `journal_entries`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "postings_nonzero_check" CHECK("postings"."amount" <> 0)
);
--> statement-breakpoint
CREATE INDEX `postings_account_idx` ON `postings` (`account_id`,`id`);--> statement-breakpoint
CREATE INDEX `postings_entry_idx` ON `postings` (`entry_id`);--> statement-breakpoint
-- Journal entries and postings are append-only: a correction is a new reversing entry.
CREATE TRIGGER `journal_entries_no_update` BEFORE UPDATE ON `journal_entries` BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;--> statement-breakpoint
CREATE TRIGGER `journal_entries_no_delete` BEFORE DELETE ON `journal_entries` BEGIN SELECT RAISE(ABORT, 'journal_entries is append-only'); END;--> statement-breakpoint
CREATE TRIGGER `postings_no_update` BEFORE UPDATE ON `postings` BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;--> statement-breakpoint
CREATE TRIGGER `postings_no_delete` BEFORE DELETE ON `postings` BEGIN SELECT RAISE(ABORT, 'postings is append-only'); END;
