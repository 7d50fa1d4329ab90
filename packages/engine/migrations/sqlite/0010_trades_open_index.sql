DROP INDEX `trades_user_open_idx`;--> statement-breakpoint
CREATE INDEX `trades_user_open_idx` ON `trades` (`user_id`,`status`,`symbol`,`id`);