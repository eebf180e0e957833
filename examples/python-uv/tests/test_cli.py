from greet.cli import main


def test_main_runs(capsys):
    main()
    assert "hello, world" in capsys.readouterr().out
