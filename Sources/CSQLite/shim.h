#include <sqlite3.h>

/// sqlite3_config is variadic, so Swift cannot call it: these wrappers can.
/// Turns off SQLite's allocation statistics, which take a global mutex on every malloc.
/// Must run before the first connection opens (it returns SQLITE_MISUSE after).
static inline int csqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
