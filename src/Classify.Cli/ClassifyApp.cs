namespace Classify.Cli;

/// <summary>The classify command line (verbs are added as the engines land).</summary>
public static class ClassifyApp
{
    /// <summary>Runs the CLI and returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("classify: no verbs yet");
        return 2;
    }
}
