Console.WriteLine("bench: nothing yet");
