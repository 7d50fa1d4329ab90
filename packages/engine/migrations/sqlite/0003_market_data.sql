CREATE TABLE `candles` (
	`symbol` text NOT NULL,
	`interval` text NOT NULL,
	`open_time` integer NOT NULL,
	`open` real NOT NULL,
	`high` real NOT NULL,
	`low` real NOT NULL,
	`close` real NOT NULL,
	`volume` real NOT NULL,
	PRIMARY KEY(`symbol`, `interval`, `open_time`)
);
