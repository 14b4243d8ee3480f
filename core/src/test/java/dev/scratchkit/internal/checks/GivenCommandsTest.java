package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How a command line given to the shell is read for the programs it runs: the first word of
 * each simple command, without builtins, keywords, assignments, redirections or expansions.
 * The oracle for each case is what dash would look up on PATH (run by hand: {@code sh -c}
 * with PATH empty names every program it cannot find).
 */
class GivenCommandsTest {

  @Test
  void firstWordsOfSimpleCommandsThroughEveryOperator() {
    assertThat(GivenCommands.commandWords("uname -s")).containsExactly("uname");
    assertThat(GivenCommands.commandWords("cat a | sort -u > out.txt && wc -l out.txt; date &"))
        .containsExactly("cat", "sort", "wc", "date");
    assertThat(GivenCommands.commandWords("echo \"$(hostname)\" `id -u`")).containsExactly("hostname", "id");
    assertThat(GivenCommands.commandWords("LC_ALL=C ls -l 2>/dev/null || true")).containsExactly("ls");
    assertThat(GivenCommands.commandWords("cc -o x x.c 2> err.txt < /dev/null")).containsExactly("cc");
  }

  @Test
  void builtinsKeywordsAndExpansionsNameNoProgram() {
    assertThat(GivenCommands.commandWords("echo hi; printf '%s' x; exit 3; test -f x; [ -d y ]")).isEmpty();
    assertThat(GivenCommands.commandWords("if grep -q x f; then sed -n 1p f; else :; fi")).containsExactly("grep",
        "sed");
    assertThat(GivenCommands.commandWords("for f in a b c; do gzip $f; done")).containsExactly("gzip");
    assertThat(GivenCommands.commandWords("$CC -c x.c; ${TOOL} run; ./configure; bin/x; ~/bin/x")).isEmpty();
    assertThat(GivenCommands.commandWords("exec nohup sleep 1")).containsExactly("sleep");
    assertThat(GivenCommands.commandWords("echo $((6 * 7)); x=$(( 1 + 2 )) expr 1")).containsExactly("expr");
    assertThat(GivenCommands.commandWords("# a comment only")).isEmpty();
  }

  @Test
  void absolutePathsAreKeptAsTheyAre() {
    assertThat(GivenCommands.commandWords("/usr/bin/env true")).containsExactly("/usr/bin/env");
  }

  @Test
  void awkCommandsAreTheLiteralsGivenToSystemGetlineAndPrintPipes() {
    assertThat(GivenCommands.awkCommands("BEGIN { system(\"uname -s\") }")).containsExactly("uname -s");
    assertThat(GivenCommands.awkCommands("BEGIN { \"date +%s\" | getline t; print t }")).containsExactly("date +%s");
    assertThat(GivenCommands.awkCommands("{ print $1 | \"sort -n\" }")).containsExactly("sort -n");
    assertThat(GivenCommands.awkCommands("{ print \"a\" > \"out.txt\"; x = \"not a command\" }")).isEmpty();
    assertThat(GivenCommands.awkCommands("BEGIN { system(\"echo \\\"q\\\"\") }")).containsExactly("echo \"q\"");
  }

  @Test
  void makefileRecipesAreTabLinesWithContinuationsJoinedAndPrefixesDropped() {
    String makefile = "CC = gcc\nall: out\n\t@echo building\n\t-rm -f out\nout:\n\tcp a \\\n\t  out\n# done\n";
    assertThat(GivenCommands.recipes(makefile)).containsExactly("echo building", "rm -f out", "cp a out");
  }

  @Test
  void hostileInputsAreReadWithinBounds() {
    // 3 MiB of recipes: only the first MiB is read.
    String makefile = "all:\n" + "\tprog-x --flag\n".repeat(200_000);
    assertThat(GivenCommands.recipes(makefile)).hasSizeLessThanOrEqualTo((1 << 20) / "\tprog-x --flag\n".length());
    // Deeply nested substitutions and quotes neither recurse without bound nor loop.
    String nested = "\"$(".repeat(100_000) + "uname" + ")\"".repeat(100_000);
    assertThat(GivenCommands.commandWords(nested)).containsExactly("uname");
    assertThat(GivenCommands.commandWords("`".repeat(50_000) + "'" + "\\".repeat(50_000))).isEmpty();
  }
}
