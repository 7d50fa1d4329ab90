CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`symbol` text NOT NULL,
	`side` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`stake` integer NOT NULL,
	`currency` text NOT NULL,
	`price` real,
	`stop_loss` real,
	`take_profit` real,
	`hold_id` text NOT NULL,
	`trade_id` text,
	`fill_price` real,
	`source` text NOT NULL,
	`reference` text,
	`reject_reason` text,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_stake_check" CHECK("orders"."stake" > 0)
);
--> statement-breakpoint
CREATE INDEX `orders_user_idx` ON `orders` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `orders_pending_idx` ON `orders` (`status`,`symbol`);--> statement-breakpoint
CREATE TABLE `protection_events` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`source` text NOT NULL,
	`subscription_id` text,
	`external_id` text,
	`reason` text NOT NULL,
	`symbol` text,
	`side` text,
	`stake` integer,
	`currency` text,
	`details` text,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `protection_events_user_idx` ON `protection_events` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `protection_events_reason_idx` ON `protection_events` (`reason`,`occurred_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `protection_events_external_unique` ON `protection_events` (`user_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `risk_locks` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`scope` text NOT NULL,
	`symbol` text,
	`side` text,
	`reason` text NOT NULL,
	`until` integer NOT NULL,
	`created_at` integer NOT NULL,
	`cleared_at` integer,
	`cleared_by` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `risk_locks_user_idx` ON `risk_locks` (`user_id`,`until`);--> statement-breakpoint
CREATE TABLE `risk_profiles` (
	`user_id` text PRIMARY KEY NOT NULL,
	`currency` text NOT NULL,
	`min_stake` integer NOT NULL,
	`max_stake` integer NOT NULL,
	`max_daily_loss` integer NOT NULL,
	`max_consecutive_losses` integer NOT NULL,
	`stake_progression` text NOT NULL,
	`max_open_positions` integer NOT NULL,
	`max_exposure_per_symbol` integer NOT NULL,
	`loss_cooldown_minutes` integer NOT NULL,
	`time_zone` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `risk_streaks` (
	`user_id` text PRIMARY KEY NOT NULL,
	`consecutive_losses` integer NOT NULL,
	`last_loss_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `signals` (
	`id` text PRIMARY KEY NOT NULL,
	`strategy_id` text NOT NULL,
	`user_id` text NOT NULL,
	`symbol` text NOT NULL,
	`interval` text NOT NULL,
	`bar_time` integer NOT NULL,
	`side` text NOT NULL,
	`decision` text NOT NULL,
	`confidence` real NOT NULL,
	`buy_score` real NOT NULL,
	`sell_score` real NOT NULL,
	`votes` text NOT NULL,
	`reason` text NOT NULL,
	`outcome` text NOT NULL,
	`trade_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`strategy_id`) REFERENCES `strategies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `signals_user_idx` ON `signals` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `signals_strategy_idx` ON `signals` (`strategy_id`,`id`);--> statement-breakpoint
CREATE TABLE `strategies` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`account_id` text,
	`symbol` text NOT NULL,
	`interval` text NOT NULL,
	`config` text NOT NULL,
	`stake` text,
	`stop_loss_pct` real,
	`take_profit_pct` real,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `strategies_user_idx` ON `strategies` (`user_id`);--> statement-breakpoint
CREATE INDEX `strategies_active_idx` ON `strategies` (`status`,`symbol`,`interval`);--> statement-breakpoint
CREATE TABLE `trades` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`order_id` text NOT NULL,
	`symbol` text NOT NULL,
	`side` text NOT NULL,
	`stake` integer NOT NULL,
	`currency` text NOT NULL,
	`quantity` real NOT NULL,
	`entry_price` real NOT NULL,
	`stop_loss` real,
	`take_profit` real,
	`status` text NOT NULL,
	`exit_price` real,
	`close_reason` text,
	`pnl` integer,
	`hold_id` text NOT NULL,
	`settlement_entry_id` text,
	`source` text NOT NULL,
	`reference` text,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "trades_stake_check" CHECK("trades"."stake" > 0),
	CONSTRAINT "trades_pnl_check" CHECK("trades"."pnl" is null or "trades"."pnl" >= -"trades"."stake")
);
--> statement-breakpoint
CREATE INDEX `trades_user_idx` ON `trades` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `trades_user_open_idx` ON `trades` (`user_id`,`status`,`symbol`);--> statement-breakpoint
CREATE INDEX `trades_user_closed_idx` ON `trades` (`user_id`,`closed_at`);--> statement-breakpoint
CREATE INDEX `trades_open_symbol_idx` ON `trades` (`status`,`symbol`);--> statement-breakpoint
CREATE UNIQUE INDEX `trades_order_unique` ON `trades` (`order_id`);