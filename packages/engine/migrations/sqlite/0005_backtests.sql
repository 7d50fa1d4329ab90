CREATE TABLE `backtests` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`status` text NOT NULL,
	`symbol` text NOT NULL,
	`interval` text NOT NULL,
	`from_time` integer NOT NULL,
	`to_time` integer NOT NULL,
	`currency` text NOT NULL,
	`initial_balance` integer NOT NULL,
	`params` text NOT NULL,
	`candles` integer NOT NULL,
	`summary` text,
	`detail` text,
	`error` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`heartbeat_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `backtests_user_idx` ON `backtests` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `backtests_unfinished_idx` ON `backtests` (`status`,`heartbeat_at`);