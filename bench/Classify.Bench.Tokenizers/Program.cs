// Single-threaded tokenizer throughput on real tweets (tweet-sentiment-extraction train.csv, text column):
// for each real tokenizer, a warm-up pass, then full passes over the tweets for at least 3 s; prints tokens/s.
using Classify.HuggingFace.Tokenization;

var root = args.Length > 0 ? args[0] : BenchSupport.FindRepoRoot();
var shared = Path.GetFullPath(Path.Combine(root, "..", "shared"));
var tweets = BenchSupport.ReadTextColumn(Path.Combine(shared, "data", "tweet-sentiment-extraction", "train.csv"));
Console.WriteLine($"{tweets.Count:N0} tweets, {tweets.Sum(t => t.Length):N0} chars; single thread, {Environment.Version}");
Console.WriteLine();
Console.WriteLine("tokens/s (wall) counts elapsed time; tokens/s (CPU) divides by this process's CPU time, the per-core figure on a shared machine.");
Console.WriteLine($"{"tokenizer",-20} {"class",-24} {"tokens/s (wall)",16} {"tokens/s (CPU)",16} {"ns/token (CPU)",15} {"passes",7}");
foreach (var name in new[] { "bert-base-uncased", "roberta-base", "ModernBERT-base" })
{
    var tokenizer = AutoTokenizer.FromPretrained(Path.Combine(shared, "tokenizers", name));
    var options = new EncodeOptions { AddSpecialTokens = false };
    long Pass()
    {
        long tokens = 0;
        foreach (var t in tweets) tokens += tokenizer.Encode(t, options: options).Length;
        return tokens;
    }
    Pass(); // warm-up: JIT tiers, BPE cache
    Pass();
    long total = 0, passes = 0;
    var clock = Clock.Start();
    while (clock.Wall < 3)
    {
        total += Pass();
        passes++;
    }
    double seconds = clock.Wall, cpuSeconds = clock.Cpu;
    Console.WriteLine($"{name,-20} {tokenizer.GetType().Name,-24} {total / seconds,16:N0} {total / cpuSeconds,16:N0} {cpuSeconds * 1e9 / total,15:F1} {passes,7}");
}

