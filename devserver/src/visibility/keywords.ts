/**
 * The MySQL-dialect keywords of the SQL parser the server uses (github.com/temporalio/sqlparser, a vitess
 * fork). A keyword is matched case-insensitively and its text is lowercased. Only the "non-reserved" ones
 * may be used as a bare attribute name (and then resolve in lowercase, e.g. `Status` → `status`); any other
 * keyword must be backquoted to be used as a name.
 */

const words = (text: string) => text.trim().split(/\s+/);

/** Usable as identifiers: the grammar's non_reserved_keyword list plus the MySQL words it does not use. */
const NON_RESERVED = words(`
  against begin bigint bit blob bool char character charset comment commit committed date datetime decimal
  double duplicate enum expansion float foreign fulltext geometry geometrycollection global int integer
  isolation json key_block_size keys language last_insert_id less level linestring longblob longtext
  mediumblob mediumint mediumtext mode multilinestring multipoint multipolygon names nchar numeric offset
  only optimize partition point polygon primary procedure query read real reorganize repair repeatable
  rollback session serializable share signed smallint spatial start status text than time timestamp
  tinyblob tinyint tinytext transaction trigger truncate uncommitted unsigned varbinary varchar variables
  view vindex vindexes vitess_keyspaces vitess_shards vitess_tablets vschema_tables with write year zerofill
  accessible asensitive before both call cascade change check condition continue current_user cursor
  day_hour day_microsecond day_minute day_second dec declare delayed deterministic distinctrow each elseif
  enclosed escaped exit fetch float4 float8 generated get grant high_priority hour_microsecond hour_minute
  hour_second infile inout insensitive int1 int2 int3 int4 int8 io_after_gtids iterate kill leading leave
  linear lines load long loop low_priority master_bind middleint minute_microsecond minute_second modifies
  no_write_to_binlog optimizer_costs option optionally out outfile precision range reads read_write
  references release repeat require resignal restrict return revoke schemas second_microsecond sensitive
  signal specific sql sqlexception sqlstate sqlwarning sql_big_result sql_calc_found_rows sql_small_result
  ssl starting stored terminated trailing undo unlock usage varcharacter varying virtual while xor
  year_month
`);

/** Reserved words and words with a meaning in the grammar: never a bare identifier. */
const RESERVED = words(`
  add all alter analyze and as asc auto_increment between binary _binary boolean by case cast collate
  column constraint convert create cross current_date current_time current_timestamp database databases
  default delete desc describe distinct div drop else end escape exists explain extended false for force
  from full group group_concat having if ignore in index inner insert interval into is join key left like
  limit localtime localtimestamp lock match maxvalue mod natural next not null on or order outer
  processlist regexp rename replace right rlike schema select separator set show sql_cache sql_no_cache
  starts_with straight_join stream substr substring table tables then to true union unique update use
  using utc_date utc_time utc_timestamp values when where
`);

export const NON_RESERVED_KEYWORDS: ReadonlySet<string> = new Set(NON_RESERVED);
export const KEYWORDS: ReadonlySet<string> = new Set([...NON_RESERVED, ...RESERVED]);
