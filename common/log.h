/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the programs in tools/ only: library folders never log.
 * Lines go to stderr as "barevirtd: <level>: message".
 */
#pragma once

enum bv_log_level { BV_LOG_ERR, BV_LOG_WARN, BV_LOG_INFO, BV_LOG_DEBUG };

/* Sets the program name of every line (not copied: a literal or argv[0]) and the most verbose level shown. */
void bv_log_init(const char *prog, enum bv_log_level max);
/* Writes one line to stderr when level is at most the configured one. Never fails, never allocates. */
void bv_log(enum bv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define bv_err(...) bv_log(BV_LOG_ERR, __VA_ARGS__)
#define bv_warn(...) bv_log(BV_LOG_WARN, __VA_ARGS__)
#define bv_info(...) bv_log(BV_LOG_INFO, __VA_ARGS__)
#define bv_debug(...) bv_log(BV_LOG_DEBUG, __VA_ARGS__)
