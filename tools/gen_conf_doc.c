/* gen_conf_doc.c - print docs/configuration.md from the property table
 * (librdkafka generates CONFIGURATION.md the same way). Linked against the
 * static library, where the internal ks_props_markdown() is visible.
 * Usage: gen_conf_doc > docs/configuration.md */
#include <stdio.h>

#include "core/core.h"

int main(void) {
    ks_props_markdown(stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gen_conf_doc: write");
        return 1;
    }
    return 0;
}
