/* SPDX-License-Identifier: BSD-2-Clause */
/* \summary: flowtap dissector: print (or locate) the Wireshark Lua dissector. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "localapi.h"

const char *cli_dissector_path(void)
{
	static const char *const paths[] = {FT_DATADIR "/flowtap.lua",
					    FT_SRCDIR "/share/flowtap/flowtap.lua"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

int cmd_dissector_main(int argc, char **argv)
{
	const char *path = cli_dissector_path();
	char buf[8192];
	size_t n;
	FILE *f;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: flowtap dissector [--path]\n\n"
		       "Print the Wireshark Lua dissector for user0 debug-capture streams\n"
		       "(use: wireshark -X lua_script:FILE), or with --path where it is.\n");
		return 0;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--path"))) {
		fprintf(stderr, "flowtap: dissector: unknown argument '%s'\n", argv[1]);
		return 2;
	}
	if (!path) {
		fprintf(stderr, "flowtap: cannot find flowtap.lua in %s or %s/share/flowtap\n",
			FT_DATADIR, FT_SRCDIR);
		return 1;
	}
	if (argc == 2) {
		printf("%s\n", path);
		return 0;
	}
	f = fopen(path, "r");
	if (!f) {
		perror("flowtap: cannot open the Lua dissector");
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			break;
	fclose(f);
	return ferror(stdout) ? 1 : 0;
}
