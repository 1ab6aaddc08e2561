// SQLite 3, for the audit archive (Debian: libsqlite3-dev).
#include <sqlite3.h>
