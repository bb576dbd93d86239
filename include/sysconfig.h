/* sysconfig.h - parser for /etc/sysconfig files: the KEY=value syntax sh and systemd share */
#ifndef PGW_SYSCONFIG_H
#define PGW_SYSCONFIG_H

#include <stddef.h>

/*
 * The accepted language is the part of shell syntax that `. file` in /bin/sh and systemd's
 * EnvironmentFile= (both systemd 219 and current versions) read the same way, so one file
 * serves the gateway, the SysV init script and the unit:
 *
 *   - blank lines, and comments: lines whose first non-blank character is '#';
 *   - KEY=value with KEY = [A-Za-z_][A-Za-z0-9_]*, optionally preceded by "export " (sh
 *     and this parser accept it; systemd's EnvironmentFile= skips such lines with a warning);
 *   - the value: 'single-quoted' (literal, no backslash inside), "double-quoted" (only \" \\
 *     \$ \` and backslash-newline escapes), unquoted text with \c escapes and backslash-newline
 *     continuation; quoted parts may be followed by more quoted or unquoted parts, but
 *     unquoted text may not be followed by a quote; trailing blanks are ignored.
 *
 * Everything the two readers disagree on is an error with the line number: $ and ` (sh
 * expands them, systemd does not), unquoted blanks inside a value and comments after one, ';'
 * comments, unquoted ~ at the start of a value or after ':', unquoted | & ; < > ( ), other
 * backslash escapes inside double quotes, a comment ending in a backslash, carriage returns,
 * control characters, NUL bytes, invalid UTF-8, unterminated quotes. Nothing is expanded.
 */

/*
 * Called once per assignment in file order. key and value are NUL-terminated and borrowed
 * for the duration of the call; line is where the assignment starts. Return 0 to go on, or
 * -1 after setting *err (allocated; the reason without the line) to stop the parse.
 */
typedef int (*sysconfig_fn)(void *arg, unsigned line, const char *key, const char *value,
                            char **err);

/*
 * Parse buf[0..len) (it need not be NUL-terminated). Returns 0 when every line is valid and
 * every callback returned 0; otherwise -1 with *line set to the offending line and *err to
 * one line of text (caller frees).
 */
int sysconfig_parse(const char *buf, size_t len, sysconfig_fn fn, void *arg, unsigned *line,
                    char **err);

#endif
