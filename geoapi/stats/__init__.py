"""Figures leaders read (结案率, 按期结案率, 返工率 …), rankings (赛马) and the weekly bulletin."""
