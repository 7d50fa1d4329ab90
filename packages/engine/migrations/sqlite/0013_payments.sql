CREATE TABLE `deposits` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`account_id` text NOT NULL,
	`provider` text NOT NULL,
	`provider_reference` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`entry_id` text,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "deposits_amount_check" CHECK("deposits"."amount" > 0),
	CONSTRAINT "deposits_status_check" CHECK("deposits"."status" in ('pending', 'processing', 'succeeded', 'failed', 'canceled'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deposits_provider_reference_unique` ON `deposits` (`provider`,`provider_reference`);--> statement-breakpoint
CREATE INDEX `deposits_user_idx` ON `deposits` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `provider_events` (
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`object_id` text,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `event_id`)
);
