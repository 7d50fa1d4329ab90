CREATE TABLE `masters` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`display_name` text NOT NULL,
	`description` text,
	`markup_bps` integer NOT NULL,
	`performance_fee_bps` integer NOT NULL,
	`visibility` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `masters_user_unique` ON `masters` (`user_id`);--> statement-breakpoint
CREATE INDEX `masters_visibility_idx` ON `masters` (`visibility`,`id`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`follower_id` text NOT NULL,
	`master_id` text NOT NULL,
	`master_user_id` text NOT NULL,
	`account_id` text,
	`copy_mode` text NOT NULL,
	`fixed_stake` text,
	`multiplier` text,
	`max_stake` text,
	`status` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`follower_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`master_id`) REFERENCES `masters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_token_unique` ON `subscriptions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `subscriptions_follower_idx` ON `subscriptions` (`follower_id`,`id`);--> statement-breakpoint
CREATE INDEX `subscriptions_master_user_idx` ON `subscriptions` (`master_user_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_live_unique` ON `subscriptions` (`follower_id`,`master_id`) WHERE "subscriptions"."status" in ('active', 'paused');