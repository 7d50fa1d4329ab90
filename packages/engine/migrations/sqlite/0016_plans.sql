CREATE TABLE `plan_subscriptions` (
	`user_id` text PRIMARY KEY NOT NULL,
	`plan` text NOT NULL,
	`status` text NOT NULL,
	`provider` text NOT NULL,
	`customer_reference` text,
	`subscription_reference` text,
	`current_period_end` integer,
	`cancel_at_period_end` integer DEFAULT false NOT NULL,
	`state_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "plan_subscriptions_status_check" CHECK("plan_subscriptions"."status" in ('incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled'))
);
--> statement-breakpoint
CREATE INDEX `plan_subscriptions_customer_idx` ON `plan_subscriptions` (`provider`,`customer_reference`);