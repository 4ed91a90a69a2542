/* demo_report.c - what the demo prints of the outputs: samples, the final
 * per-minute table, the running totals, the sessions and alerts. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

/* \p p (NULL: null) with non-printable bytes as \xNN, cut at \p max. */
void demo_print_bytes(const char *p, size_t len, size_t max)
{
    if (!p) {
        fputs("null", stdout);
        return;
    }
    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    if (len > max)
        fputs("...", stdout);
}

void demo_print_samples(const char *topic, const demo_recs_t *l, size_t k)
{
    printf("%s: %zu records%s\n", topic, l->n, l->n ? ", first:" : "");
    for (size_t i = 0; i < l->n && i < k; i++) {
        fputs("  ", stdout);
        demo_print_bytes(l->v[i].key, l->v[i].klen, 40);
        fputs(" -> ", stdout);
        demo_print_bytes(l->v[i].value, l->v[i].vlen, 160);
        putchar('\n');
    }
}

static int64_t get_int(const kstream_json_t *j, const char *path)
{
    int64_t v = 0;
    kstream_json_get_int64(j, path, &v, NULL, 0);
    return v;
}

static int index_of(const char *const *names, int n, const char *s,
                    size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len))
            return i;
    return -1;
}

#define MAX_MINUTES 8

typedef struct minute {
    int64_t start;
    int64_t count[AGGREGATE_NTYPES], seg[AGGREGATE_NSEGMENTS], amount;
} minute_t;

void demo_print_per_minute(const demo_recs_t *rows)
{
    /* The last MAX_MINUTES window starts (rows come in emission order). */
    minute_t m[MAX_MINUTES] = {{0}};
    size_t nm = 0, minutes = 0;
    int64_t last_start = INT64_MIN;
    for (size_t i = 0; i < rows->n; i++) {
        kstream_json_t *j = NULL;
        const char *type = "", *seg = "";
        size_t tl = 0, sl = 0;
        if (!rows->v[i].value ||
            kstream_json_parse(rows->v[i].value, rows->v[i].vlen, &j, NULL,
                               0))
            continue;
        kstream_json_get_string(j, "type", &type, &tl, NULL, 0);
        kstream_json_get_string(j, "segment", &seg, &sl, NULL, 0);
        int64_t start = get_int(j, "window_start");
        int t = index_of(aggregate_types, AGGREGATE_NTYPES, type, tl);
        int s = index_of(aggregate_segments, AGGREGATE_NSEGMENTS, seg, sl);
        if (start > last_start) {
            minutes++;
            last_start = start;
            if (nm == MAX_MINUTES)
                memmove(m, m + 1, sizeof(m[0]) * --nm);
            m[nm++] = (minute_t){.start = start};
        }
        minute_t *cur = NULL;
        for (size_t k = 0; k < nm; k++)
            if (m[k].start == start)
                cur = &m[k];
        if (cur && t >= 0 && s >= 0) {
            int64_t c = get_int(j, "count");
            cur->count[t] += c;
            cur->seg[s] += c;
            cur->amount += get_int(j, "amount");
        }
        kstream_json_destroy(j);
    }
    printf("per-minute table (events.per-minute, the last %zu of %zu "
           "minutes):\n  %-17s", nm, minutes, "minute (UTC)");
    for (int t = 0; t < AGGREGATE_NTYPES; t++)
        printf(" %8s", aggregate_types[t]);
    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
        printf(" %8s", aggregate_segments[s]);
    printf(" %12s\n", "amount");
    for (size_t k = 0; k < nm; k++) {
        char when[32];
        time_t secs = (time_t)(m[k].start / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
        printf("  %-17s", when);
        for (int t = 0; t < AGGREGATE_NTYPES; t++)
            printf(" %8" PRId64, m[k].count[t]);
        for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
            printf(" %8" PRId64, m[k].seg[s]);
        printf(" %12.2f\n", (double)m[k].amount / 100.0);
    }
}

void demo_print_totals(const int64_t *count, const int64_t *amount)
{
    printf("running totals (store %s, interactive query):\n  %-8s %10s "
           "%14s\n",
           AGGREGATE_TOTALS_STORE, "segment", "events", "amount");
    for (int s = 0; s < AGGREGATE_NSEGMENTS; s++)
        printf("  %-8s %10" PRId64 " %14.2f\n", aggregate_segments[s],
               count[s], (double)amount[s] / 100.0);
}

void demo_print_sessions(const demo_recs_t *sessions,
                         const demo_recs_t *alerts)
{
    int64_t readings = 0, total_ms = 0, longest = -1;
    char longest_dev[64] = "";
    double lo = 0, hi = 0;
    for (size_t i = 0; i < sessions->n; i++) {
        kstream_json_t *j = NULL;
        if (!sessions->v[i].value ||
            kstream_json_parse(sessions->v[i].value, sessions->v[i].vlen, &j,
                               NULL, 0))
            continue;
        int64_t d = get_int(j, "end") - get_int(j, "start");
        double mn = 0, mx = 0;
        kstream_json_get_double(j, "min", &mn, NULL, 0);
        kstream_json_get_double(j, "max", &mx, NULL, 0);
        lo = i == 0 || mn < lo ? mn : lo;
        hi = i == 0 || mx > hi ? mx : hi;
        readings += get_int(j, "count");
        total_ms += d;
        if (d > longest) {
            const char *dev = "";
            size_t dl = 0;
            kstream_json_get_string(j, "device_id", &dev, &dl, NULL, 0);
            longest = d;
            snprintf(longest_dev, sizeof(longest_dev), "%.*s", (int)dl, dev);
        }
        kstream_json_destroy(j);
    }
    size_t threshold = 0, long_session = 0;
    for (size_t i = 0; i < alerts->n; i++) {
        const char *v = alerts->v[i].value ? alerts->v[i].value : "";
        threshold += strstr(v, "\"kind\":\"threshold\"") != NULL;
        long_session += strstr(v, "\"kind\":\"long_session\"") != NULL;
    }
    printf("sessions: %zu closed, %" PRId64 " readings, mean duration "
           "%.1f s, longest %.1f s (%s), readings from %.2f to %.2f\n",
           sessions->n, readings,
           sessions->n ? (double)total_ms / 1000.0 / (double)sessions->n
                       : 0.0,
           longest > 0 ? (double)longest / 1000.0 : 0.0,
           longest_dev[0] ? longest_dev : "-", lo, hi);
    printf("alerts: %zu (%zu readings over the threshold, %zu long "
           "sessions)\n",
           alerts->n, threshold, long_session);
}
