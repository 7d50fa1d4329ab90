CREATE TABLE `affiliate_codes` (
	`user_id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `affiliate_codes_code_unique` ON `affiliate_codes` (`code`);--> statement-breakpoint
CREATE TABLE `commission_charges` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`subscription_id` text NOT NULL,
	`master_id` text NOT NULL,
	`master_user_id` text NOT NULL,
	`follower_id` text NOT NULL,
	`account_id` text NOT NULL,
	`currency` text NOT NULL,
	`period` text NOT NULL,
	`period_start` integer,
	`period_end` integer NOT NULL,
	`trade_id` text,
	`profit` integer NOT NULL,
	`equity` integer,
	`closed_copies` integer,
	`hwm_before` integer,
	`hwm_after` integer,
	`rate_bps` integer NOT NULL,
	`fee` integer NOT NULL,
	`charged` integer NOT NULL,
	`master_amount` integer NOT NULL,
	`platform_amount` integer NOT NULL,
	`affiliate_amount` integer NOT NULL,
	`affiliate_user_id` text,
	`entry_id` text,
	`created_at` integer NOT NULL,
	CONSTRAINT "commission_charges_split_check" CHECK("commission_charges"."charged" = "commission_charges"."master_amount" + "commission_charges"."platform_amount" + "commission_charges"."affiliate_amount" and "commission_charges"."charged" >= 0 and "commission_charges"."charged" <= "commission_charges"."fee")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `commission_charges_key_unique` ON `commission_charges` (`key`);--> statement-breakpoint
CREATE INDEX `commission_charges_fee_idx` ON `commission_charges` (`subscription_id`,`account_id`,`kind`,`period_end`);--> statement-breakpoint
CREATE INDEX `commission_charges_follower_idx` ON `commission_charges` (`follower_id`,`id`);--> statement-breakpoint
CREATE INDEX `commission_charges_master_idx` ON `commission_charges` (`master_user_id`,`id`);--> statement-breakpoint
CREATE INDEX `commission_charges_trade_idx` ON `commission_charges` (`trade_id`);--> statement-breakpoint
CREATE INDEX `commission_charges_affiliate_idx` ON `commission_charges` (`affiliate_user_id`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`title` text NOT NULL,
	`body` text,
	`data` text,
	`read_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notifications_user_idx` ON `notifications` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_unread_idx` ON `notifications` (`user_id`,`read_at`);--> statement-breakpoint
CREATE TABLE `referrals` (
	`user_id` text PRIMARY KEY NOT NULL,
	`affiliate_user_id` text NOT NULL,
	`code` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `referrals_affiliate_idx` ON `referrals` (`affiliate_user_id`);--> statement-breakpoint
ALTER TABLE `orders` ADD `subscription_id` text;--> statement-breakpoint
ALTER TABLE `trades` ADD `subscription_id` text;--> statement-breakpoint
CREATE INDEX `trades_subscription_idx` ON `trades` (`subscription_id`,`account_id`);