return Classify.Cli.ClassifyApp.Run(args);
