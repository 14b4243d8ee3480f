package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;

/** Every rule, in the order their findings are reported: the program first, then what it needs. */
public final class Rules {

  private static final List<Rule> ALL = List.of(new EntrypointRule(), new SharedLibrariesRule(), new UnwinderRule(),
      new LibrariesByNameRule(),
      new JavaRuntimeRule(), new EmbeddedInterpreterRule(), new ShellRule(), new HelperProgramsRule(),
      new ExtensionsRule(),
      new DataFilesRule(), new UserRule(),
      new CaCertificatesRule(), new TimeZonesRule(), new GconvRule(), new LocaleRule(), new OpenSslModulesRule(),
      new TerminfoRule(), new MessageCatalogsRule(),
      new NetworkDatabasesRule(), new TmpRule(), new WorkingDirectoryRule(),
      new EnvironmentRule(), new ArchitectureRule(), new ReplacedPathsRule());

  private Rules() {}

  /** {@return every rule} */
  public static List<Rule> all() {
    return ALL;
  }

  /**
   * Runs every rule.
   *
   * @param view the image
   * @return the findings, rule by rule
   */
  public static List<Finding> check(ImageView view) {
    return check(view, null);
  }

  /**
   * Runs every rule for an image being built from files under {@code hostRoot}: rules that
   * compare with what the build machine has (a data file the program names) then apply too.
   *
   * @param view the image
   * @param hostRoot the root the files come from ({@code /} or the sysroot), or null
   * @return the findings, rule by rule
   */
  public static List<Finding> check(ImageView view, java.nio.file.Path hostRoot) {
    CheckContext context = new CheckContext(view, hostRoot);
    List<Finding> findings = new ArrayList<>();
    for (Rule rule : ALL) {
      rule.check(context, findings);
    }
    return List.copyOf(findings);
  }
}
