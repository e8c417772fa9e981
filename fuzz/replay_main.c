/* A main() for the fuzz targets without libFuzzer: runs each file named on the
 * command line (or each file in each directory named) through the target once.
 * Used to replay the corpus and the regressions under gcc's sanitizers. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1u << 20)

static uint8_t replay_buffer[REPLAY_MAX_INPUT];

static int replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    size_t size;

    if (file == NULL)
    {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    size = fread(replay_buffer, 1, sizeof(replay_buffer), file);
    fclose(file);
    (void)LLVMFuzzerTestOneInput(replay_buffer, size);
    return 0;
}

int main(int argc, char **argv)
{
    int failures = 0;
    int count = 0;
    int i;

    for (i = 1; i < argc; i++)
    {
        struct stat info;

        if ((stat(argv[i], &info) == 0) && S_ISDIR(info.st_mode))
        {
            DIR *dir = opendir(argv[i]);
            struct dirent *entry;

            while ((dir != NULL) && ((entry = readdir(dir)) != NULL))
            {
                char path[4096];

                if (entry->d_name[0] == '.')
                {
                    continue;
                }
                snprintf(path, sizeof(path), "%s/%s", argv[i], entry->d_name);
                failures += replay_file(path);
                count++;
            }
            if (dir != NULL)
            {
                closedir(dir);
            }
        }
        else
        {
            failures += replay_file(argv[i]);
            count++;
        }
    }
    printf("replayed %d inputs\n", count);
    return failures == 0 ? 0 : 1;
}
